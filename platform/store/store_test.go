package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap/zaptest"

	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/store"
)

var items = []byte("items")

func fill(t *testing.T, db *store.DB, n int) {
	t.Helper()
	err := db.Update(context.Background(), func(tx *bbolt.Tx) error {
		for i := range n {
			if err := store.Put(tx, items, store.Key("k", fmt.Sprintf("%03d", i)), []byte{byte(i)}); err != nil {
				return err
			}
		}
		return store.Put(tx, items, store.Key("other", "x"), []byte{0})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestScanPages(t *testing.T) {
	db := bolttest.Open(t, store.Schema{Version: 1, Buckets: [][]byte{items}})
	fill(t, db, 7)
	tests := []struct {
		name    string
		reverse bool
		size    int
		keep    func(i byte) bool
		want    [][]byte
	}{
		{"forward by 3", false, 3, nil, [][]byte{{0, 1, 2}, {3, 4, 5}, {6}}},
		{"reverse by 3", true, 3, nil, [][]byte{{6, 5, 4}, {3, 2, 1}, {0}}},
		{"exact fit", false, 7, nil, [][]byte{{0, 1, 2, 3, 4, 5, 6}}},
		{"filtered", false, 2, func(i byte) bool { return i%2 == 0 }, [][]byte{{0, 2}, {4, 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]byte
			token := ""
			for page := 0; page < 10; page++ {
				var items_ []byte
				err := db.View(func(tx *bbolt.Tx) error {
					var err error
					token, err = store.Scan(tx, items, store.Page{Prefix: store.Prefix("k"), Token: token, Size: tt.size, Reverse: tt.reverse},
						func(_, v []byte) (bool, error) {
							if tt.keep != nil && !tt.keep(v[0]) {
								return false, nil
							}
							items_ = append(items_, v[0])
							return true, nil
						})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(items_) > 0 {
					got = append(got, items_)
				}
				if token == "" {
					break
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("pages = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestScanRejectsForeignToken(t *testing.T) {
	db := bolttest.Open(t, store.Schema{Version: 1, Buckets: [][]byte{items}})
	fill(t, db, 3)
	err := db.View(func(tx *bbolt.Tx) error {
		_, err := store.Scan(tx, items, store.Page{Prefix: store.Prefix("k"), Token: "b3RoZXIAeA", Size: 2},
			func(_, _ []byte) (bool, error) { return true, nil })
		return err
	})
	if !errors.Is(err, store.ErrBadPageToken) {
		t.Fatalf("Scan(token of another prefix) = %v, want ErrBadPageToken", err)
	}
}

func TestTimeKeySortsInTimeOrder(t *testing.T) {
	times := []time.Time{time.Unix(-100, 0), time.Unix(0, 0), time.Unix(1, 0), time.Date(2026, 11, 23, 0, 0, 0, 1, time.UTC)}
	for i := 1; i < len(times); i++ {
		a, b := store.TimeKey(times[i-1]), store.TimeKey(times[i])
		if string(a) >= string(b) {
			t.Errorf("TimeKey(%v) >= TimeKey(%v)", times[i-1], times[i])
		}
		if got := store.KeyTime(b); !got.Equal(times[i]) {
			t.Errorf("KeyTime(TimeKey(%v)) = %v", times[i], got)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	log := zaptest.NewLogger(t)
	db, err := store.Open(path, store.Schema{Version: 3}, log, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := store.Open(path, store.Schema{Version: 2}, log, store.Options{}); !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("Open(older binary) = %v, want ErrNewerSchema", err)
	}
	db, err = store.Open(path, store.Schema{Version: 4, Buckets: [][]byte{items}}, log, store.Options{})
	if err != nil {
		t.Fatalf("Open(newer binary) = %v", err)
	}
	db.Close()
}

func TestOpenTimesOutOnLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	log := zaptest.NewLogger(t)
	db, err := store.Open(path, store.Schema{Version: 1}, log, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := store.Open(path, store.Schema{Version: 1}, log, store.Options{LockTimeout: 50 * time.Millisecond}); err == nil {
		t.Fatal("second Open of a locked file succeeded")
	}
}

// BenchmarkWrite measures one small write per call from many goroutines, each alone
// (one commit and fsync per write) and batched (writes share commits).
func BenchmarkWrite(b *testing.B) {
	for _, mode := range []string{"alone", "batched"} {
		b.Run(mode, func(b *testing.B) {
			db := bolttest.Open(b, store.Schema{Version: 1, Buckets: [][]byte{items}})
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					fn := func(tx *bbolt.Tx) error {
						b := tx.Bucket(items)
						seq, _ := b.NextSequence()
						return b.Put(store.U64(seq), []byte("value"))
					}
					var err error
					if mode == "alone" {
						err = db.UpdateAlone(fn)
					} else {
						err = db.Update(context.Background(), fn)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}

func TestKeyKeepsNULInsideItsPart(t *testing.T) {
	victim := store.Prefix("JOBA")
	for _, id := range []string{"JOBA\x00victim", "JOBA\x00", "\x00JOBA"} {
		k := store.Key(id, "R1")
		if bytes.HasPrefix(k, victim) {
			t.Errorf("Key(%q, R1) = %q starts with Prefix(JOBA) = %q", id, k, victim)
		}
		if got := bytes.Count(k, []byte{store.Sep}); got != 1 {
			t.Errorf("Key(%q, R1) = %q has %d separators, want 1", id, k, got)
		}
	}
	if got, want := store.Key("a", "b"), []byte("a\x00b"); !bytes.Equal(got, want) {
		t.Errorf("Key(a, b) = %q, want %q", got, want)
	}
}

func TestScanRejectsForgedToken(t *testing.T) {
	db := bolttest.Open(t, store.Schema{Version: 1, Buckets: [][]byte{items, []byte("other")}})
	fill(t, db, 5)
	scan := func(bucket []byte, token string) (string, error) {
		var next string
		err := db.View(func(tx *bbolt.Tx) error {
			var err error
			next, err = store.Scan(tx, bucket, store.Page{Prefix: store.Prefix("k"), Token: token, Size: 2},
				func(_, _ []byte) (bool, error) { return true, nil })
			return err
		})
		return next, err
	}
	next, err := scan(items, "")
	if err != nil || next == "" {
		t.Fatalf("Scan(first page) = %q, %v; want a token", next, err)
	}
	if _, err := scan(items, next); err != nil {
		t.Fatalf("Scan(issued token) = %v, want nil", err)
	}
	// A client that decodes the token, moves the position and encodes it again.
	raw, _ := base64.RawURLEncoding.DecodeString(next)
	raw[len(raw)-17]++
	forged := []string{
		base64.RawURLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString([]byte("k\x00001")), // a bare key, as tokens once were
		"AAAA",
	}
	for _, tok := range forged {
		if _, err := scan(items, tok); !errors.Is(err, store.ErrBadPageToken) {
			t.Errorf("Scan(forged %q) = %v, want ErrBadPageToken", tok, err)
		}
	}
	if _, err := scan([]byte("other"), next); !errors.Is(err, store.ErrBadPageToken) {
		t.Errorf("Scan(token of another bucket) = %v, want ErrBadPageToken", err)
	}
}

// A filter that matches nothing costs a bounded page: each page examines at most MaxScan keys
// and returns a token; following the tokens reaches the end and finds every match.
func TestScanBoundsAPageThatMatchesLittle(t *testing.T) {
	db := bolttest.Open(t, store.Schema{Version: 1, Buckets: [][]byte{items}})
	err := db.Update(context.Background(), func(tx *bbolt.Tx) error {
		for i := range 1000 {
			if err := store.Put(tx, items, store.Key("k", fmt.Sprintf("%04d", i)), []byte{byte(i % 251)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, reverse := range []bool{false, true} {
		var token string
		pages, found := 0, 0
		for {
			examined := 0
			err := db.View(func(tx *bbolt.Tx) (err error) {
				token, err = store.Scan(tx, items, store.Page{Prefix: store.Prefix("k"), Token: token, Size: 10, MaxScan: 300, Reverse: reverse},
					func(_, v []byte) (bool, error) {
						examined++
						if v[0] == 250 {
							found++ // 3 keys of 1000 match
							return true, nil
						}
						return false, nil
					})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if examined > 300 {
				t.Fatalf("a page examined %d keys, bound 300", examined)
			}
			pages++
			if token == "" {
				break
			}
		}
		if found != 3 {
			t.Errorf("reverse=%v: found %d matches, want 3", reverse, found)
		}
		if pages != 4 {
			t.Errorf("reverse=%v: %d pages, want 4 (1000 keys, 300 a page)", reverse, pages)
		}
	}
}

// Concurrent Updates share commits; one whose fn fails (or panics) gets its own error and
// leaves no trace, and every other call's change is committed once.
func TestGroupCommitIsolatesAFailingCall(t *testing.T) {
	db := bolttest.Open(t, store.Schema{Version: 1, Buckets: [][]byte{items}})
	errBad := errors.New("rule broken")
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.Update(context.Background(), func(tx *bbolt.Tx) error {
				b := tx.Bucket(items)
				seq, _ := b.NextSequence()
				if err := b.Put(store.Key("k", fmt.Sprintf("%04d", i)), store.U64(seq)); err != nil {
					return err
				}
				switch i % 50 {
				case 7:
					return errBad
				case 9:
					panic("handler bug")
				}
				return nil
			})
		}()
	}
	bad, panicked := 0, 0
	for range n {
		switch err := <-errs; {
		case errors.Is(err, errBad):
			bad++
		case err != nil && strings.Contains(err.Error(), "panic"):
			panicked++
		case err != nil:
			t.Fatal(err)
		}
	}
	var keys int
	_ = db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(items).ForEach(func(k, _ []byte) error {
			var i int
			if _, err := fmt.Sscanf(string(k[2:]), "%d", &i); err != nil || i%50 == 7 || i%50 == 9 {
				t.Errorf("key %q committed", k)
			}
			keys++
			return nil
		})
	})
	if bad != n/50 || panicked != n/50 || keys != n-2*n/50 {
		t.Errorf("bad %d, panicked %d, committed %d; want %d, %d, %d", bad, panicked, keys, n/50, n/50, n-2*n/50)
	}
}

// TestUpgradesRunOnceInOrder: opening a file of layout 1 with a binary of layout 3 runs the
// upgrades to 2 and 3, in order, once; a failing upgrade leaves the file as it was; a new file
// runs none.
func TestUpgradesRunOnceInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	log := zaptest.NewLogger(t)
	db, err := store.Open(path, store.Schema{Version: 1, Buckets: [][]byte{items}}, log, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateAlone(func(tx *bbolt.Tx) error { return tx.Bucket(items).Put([]byte("a"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	index := []byte("index")
	var ran []uint64
	schema := func(fail bool) store.Schema {
		return store.Schema{Version: 3, Buckets: [][]byte{items, index}, Upgrades: []store.Upgrade{
			{Version: 3, Name: "second", Apply: func(tx *bbolt.Tx) error {
				ran = append(ran, 3)
				if fail {
					return errors.New("disk on fire")
				}
				return nil
			}},
			{Version: 2, Name: "index the items", Apply: func(tx *bbolt.Tx) error {
				ran = append(ran, 2)
				return tx.Bucket(items).ForEach(func(k, _ []byte) error { return tx.Bucket(index).Put(k, nil) })
			}},
			{Version: 1, Name: "already there", Apply: func(*bbolt.Tx) error { ran = append(ran, 1); return nil }},
		}}
	}
	if _, err := store.Open(path, schema(true), log, store.Options{}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Open with a failing upgrade = %v", err)
	}
	ran = nil
	db, err = store.Open(path, schema(false), log, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ran) != "[2 3]" {
		t.Fatalf("upgrades ran %v, want [2 3] (the failed attempt rolled back)", ran)
	}
	err = db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(index).Get([]byte("a")) == nil {
			return errors.New("index not filled")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ran = nil
	if db, err = store.Open(path, schema(false), log, store.Options{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if len(ran) != 0 {
		t.Fatalf("upgrades ran again on an upgraded file: %v", ran)
	}
	fresh := filepath.Join(t.TempDir(), "new.db")
	if db, err = store.Open(fresh, schema(false), log, store.Options{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if len(ran) != 0 {
		t.Fatalf("upgrades ran on a new file: %v", ran)
	}
}
