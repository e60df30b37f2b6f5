// Package domain holds the parts-inventory rules: the stock ledger, reservations,
// requisitions, the old-part return loop, reorder advice and stocking plans, free of storage
// and transport.
package domain
