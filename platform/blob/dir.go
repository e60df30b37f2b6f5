package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Dir is the embedded store: one file per blob under a directory (the service's data dir).
// A Put writes a temporary file in the same file system, fsyncs it, renames it into place and
// fsyncs the directory, so a crash leaves the old content or the new, never half of either.
// Files rather than bbolt: a 50 MiB video would sit whole in one write transaction and in a
// file that never shrinks; bbolt keeps the records, which are small.
type Dir struct {
	root string
}

var _ Store = (*Dir)(nil)

// tmpPrefix marks unfinished writes; List skips them and OpenDir removes those left by a crash.
const tmpPrefix = ".tmp-"

// OpenDir opens (creating) the embedded store rooted at root and removes unfinished writes a
// crash left behind.
func OpenDir(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, "objects"), 0o750); err != nil {
		return nil, fmt.Errorf("blob dir: %w", err)
	}
	d := &Dir{root: root}
	err := filepath.WalkDir(filepath.Join(root, "objects"), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.HasPrefix(e.Name(), tmpPrefix) {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blob dir cleanup: %w", err)
	}
	return d, nil
}

// path is the file of key: objects/<last two characters>/<key> (ids are time-ordered, so
// their ends spread over the fan-out directories).
func (d *Dir) path(key string) string {
	fan := key
	if len(fan) > 2 {
		fan = fan[len(fan)-2:]
	}
	return filepath.Join(d.root, "objects", strings.ToLower(fan), key)
}

// Put implements Store.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, limit int64) (Info, error) {
	if !ValidKey(key) {
		return Info{}, ErrBadKey
	}
	final := d.path(key)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Info{}, fmt.Errorf("blob put: %w", err)
	}
	f, err := os.CreateTemp(dir, tmpPrefix+key+"-*")
	if err != nil {
		return Info{}, fmt.Errorf("blob put: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	c := newCounter(ctxReader{ctx, r}, limit)
	if _, err := io.Copy(f, c); err != nil {
		return Info{}, fmt.Errorf("blob put: %w", err)
	}
	if err := f.Sync(); err != nil {
		return Info{}, fmt.Errorf("blob put sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return Info{}, fmt.Errorf("blob put close: %w", err)
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return Info{}, fmt.Errorf("blob put rename: %w", err)
	}
	ok = true
	if err := syncDir(dir); err != nil {
		return Info{}, err
	}
	st, err := os.Stat(final)
	if err != nil {
		return Info{}, fmt.Errorf("blob put: %w", err)
	}
	return Info{Key: key, Size: c.n, SHA256: c.sum(), Modified: st.ModTime()}, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob sync dir: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blob sync dir: %w", err)
	}
	return nil
}

// Get implements Store.
func (d *Dir) Get(_ context.Context, key string) (io.ReadCloser, Info, error) {
	if !ValidKey(key) {
		return nil, Info{}, ErrBadKey
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, ErrNotFound
	} else if err != nil {
		return nil, Info{}, fmt.Errorf("blob get: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, Info{}, fmt.Errorf("blob get: %w", err)
	}
	return f, Info{Key: key, Size: st.Size(), Modified: st.ModTime()}, nil
}

// Stat implements Store.
func (d *Dir) Stat(_ context.Context, key string) (Info, error) {
	if !ValidKey(key) {
		return Info{}, ErrBadKey
	}
	st, err := os.Stat(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, ErrNotFound
	} else if err != nil {
		return Info{}, fmt.Errorf("blob stat: %w", err)
	}
	return Info{Key: key, Size: st.Size(), Modified: st.ModTime()}, nil
}

// Delete implements Store.
func (d *Dir) Delete(_ context.Context, key string) error {
	if !ValidKey(key) {
		return ErrBadKey
	}
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob delete: %w", err)
	}
	return nil
}

// List implements Store.
func (d *Dir) List(ctx context.Context, fn func(Info) error) error {
	return filepath.WalkDir(filepath.Join(d.root, "objects"), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), tmpPrefix) {
			return nil
		}
		st, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted meanwhile
		} else if err != nil {
			return err
		}
		return fn(Info{Key: e.Name(), Size: st.Size(), Modified: st.ModTime()})
	})
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
