package podinit

import (
	"os"
	"testing"
)

// TestMain lets the test binary itself serve as /podinit (and its helper)
// in the nspawn integration test.
func TestMain(m *testing.M) {
	if IsPodinit(os.Args) {
		os.Exit(Main(os.Args))
	}
	os.Exit(m.Run())
}
