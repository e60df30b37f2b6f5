package svctest

import (
	"sync"
	"testing"
	"time"
)

// Plaintext and Secure name the two servers of a security-cost benchmark.
const (
	Plaintext = "plaintext"
	Secure    = "tls+token"
)

// CompareSecurity runs call for Plaintext and Secure in alternating rounds, b.N calls each in
// all, callers at a time, so that a loaded machine weighs on both alike; it reports both rates
// as "<mode>-<unit>/s" and their ratio as "tls/plaintext", and returns the rates.
func CompareSecurity(b *testing.B, callers int, unit string, call func(mode string) error) (plain, secure float64) {
	b.Helper()
	const rounds = 6
	per := max(b.N/rounds, callers)
	spent := map[string]time.Duration{}
	b.ResetTimer()
	for range rounds {
		for _, mode := range []string{Plaintext, Secure} {
			start := time.Now()
			var wg sync.WaitGroup
			for w := range callers {
				wg.Go(func() {
					for i := w; i < per; i += callers {
						if err := call(mode); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			spent[mode] += time.Since(start)
		}
	}
	n := float64(rounds * per)
	plain, secure = n/spent[Plaintext].Seconds(), n/spent[Secure].Seconds()
	b.ReportMetric(plain, Plaintext+"-"+unit+"/s")
	b.ReportMetric(secure, Secure+"-"+unit+"/s")
	b.ReportMetric(secure/plain, "tls/plaintext")
	return plain, secure
}
