package metrics

import (
	"fmt"
	"testing"
)

// TestLabelCap: past the bound every new value is "other", and values
// admitted before stay themselves.
func TestLabelCap(t *testing.T) {
	c := &labelCap{max: 3}
	for i := range 3 {
		if got := c.admit(fmt.Sprint("op", i)); got != fmt.Sprint("op", i) {
			t.Fatalf("admit(op%d) = %q", i, got)
		}
	}
	for i := 3; i < 1000; i++ {
		if got := c.admit(fmt.Sprint("op", i)); got != otherLabel {
			t.Fatalf("admit(op%d) past the bound = %q", i, got)
		}
	}
	if got := c.admit("op1"); got != "op1" {
		t.Fatalf("an admitted value became %q", got)
	}
}
