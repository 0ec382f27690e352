package hashworker

import (
	"bytes"
	"testing"
)

// keeping is a writer that keeps the very buffer it was handed, as a
// pipe's kernel copy does not: what it holds after the write is what the
// process's heap still holds.
type keeping struct{ got []byte }

func (k *keeping) Write(p []byte) (int, error) { k.got = p; return len(p), nil }

// A request frame carries a password: once written, the buffer that held
// it is zeroed, so the password does not linger in the heap until the
// collector reuses the memory.
func TestWrittenFrameIsCleared(t *testing.T) {
	password := []byte("frame-password-123")
	var w keeping
	if err := writeFrame(&w, password); err != nil {
		t.Fatal(err)
	}
	if len(w.got) != 4+len(password) {
		t.Fatalf("wrote %d bytes, want %d", len(w.got), 4+len(password))
	}
	if !bytes.Equal(w.got, make([]byte, len(w.got))) {
		t.Fatalf("the written frame still holds %q", w.got)
	}
}
