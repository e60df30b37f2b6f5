package inventory

import (
	"fmt"

	"github.com/sanbao/sanbao/platform/daemon"
)

// VerifyLedger replays the ledger of a service made by New and checks every balance against
// it; it returns the number of movements.
func VerifyLedger(s daemon.Service) (int, error) {
	svc, ok := s.(*service)
	if !ok {
		return 0, fmt.Errorf("not an inventory service: %T", s)
	}
	return svc.verify()
}
