// Package demo walks one ticket through its whole life against a running suite and prints
// each step and the events it caused.
package demo

import (
	"context"
	"errors"
	"io"
)

// Main runs the demo.
func Main(ctx context.Context, args []string, out io.Writer) error {
	return errors.New("demo: not yet implemented")
}
