package hashworker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// hello is the first frame a worker writes. The parent refuses a child that
// does not send it, which catches a binary that ignored the worker
// environment and started something else on the pipe.
const hello = "gqlauth-hashworker/1"

// maxFrame bounds a frame so that a corrupt length cannot make either side
// allocate without limit. Requests carry a password and a salt; replies a
// key or an error message.
const maxFrame = 64 << 10

// Limits on what a request may ask for; the parent validates its
// parameters long before they get here, these keep a bad frame from
// turning into a huge allocation in the worker.
const (
	maxMemoryKiB = 4 << 20 // 4 GiB
	maxKeyLen    = 1024
)

// request is one argon2id derivation.
type request struct {
	ID       uint64
	Time     uint32
	Memory   uint32 // KiB
	Threads  uint8
	KeyLen   uint32
	Salt     []byte
	Password []byte
}

// reply answers the request with the same ID: Key, or Err when the worker
// refused it.
type reply struct {
	ID  uint64
	Key []byte
	Err string
}

// Request layout: ID(8) Time(4) Memory(4) Threads(1) KeyLen(4) SaltLen(2)
// Salt Password.
const requestHeader = 8 + 4 + 4 + 1 + 4 + 2

func (q *request) marshal() []byte {
	b := make([]byte, requestHeader, requestHeader+len(q.Salt)+len(q.Password))
	binary.BigEndian.PutUint64(b[0:], q.ID)
	binary.BigEndian.PutUint32(b[8:], q.Time)
	binary.BigEndian.PutUint32(b[12:], q.Memory)
	b[16] = q.Threads
	binary.BigEndian.PutUint32(b[17:], q.KeyLen)
	binary.BigEndian.PutUint16(b[21:], uint16(len(q.Salt)))
	b = append(b, q.Salt...)
	return append(b, q.Password...)
}

func (q *request) unmarshal(b []byte) error {
	if len(b) < requestHeader {
		return errors.New("short request")
	}
	q.ID = binary.BigEndian.Uint64(b[0:])
	q.Time = binary.BigEndian.Uint32(b[8:])
	q.Memory = binary.BigEndian.Uint32(b[12:])
	q.Threads = b[16]
	q.KeyLen = binary.BigEndian.Uint32(b[17:])
	n := int(binary.BigEndian.Uint16(b[21:]))
	if len(b) < requestHeader+n {
		return errors.New("short salt")
	}
	q.Salt = b[requestHeader : requestHeader+n]
	q.Password = b[requestHeader+n:]
	return nil
}

// check rejects parameters argon2.IDKey would panic on or that would
// allocate far more than any real configuration.
func (q *request) check() error {
	switch {
	case q.Time < 1, q.Threads < 1, q.KeyLen < 1, q.KeyLen > maxKeyLen:
		return fmt.Errorf("invalid argon2id parameters t=%d p=%d keylen=%d", q.Time, q.Threads, q.KeyLen)
	case q.Memory < 8*uint32(q.Threads) || q.Memory > maxMemoryKiB:
		return fmt.Errorf("invalid argon2id memory %d KiB", q.Memory)
	}
	return nil
}

// Reply layout: ID(8) Status(1) then the key (status 0) or an error
// message (status 1).
func (r *reply) marshal() []byte {
	b := make([]byte, 9, 9+len(r.Key)+len(r.Err))
	binary.BigEndian.PutUint64(b, r.ID)
	if r.Err != "" {
		b[8] = 1
		return append(b, r.Err...)
	}
	return append(b, r.Key...)
}

func (r *reply) unmarshal(b []byte) error {
	if len(b) < 9 {
		return errors.New("short reply")
	}
	r.ID = binary.BigEndian.Uint64(b)
	switch b[8] {
	case 0:
		r.Key = append([]byte(nil), b[9:]...)
	case 1:
		r.Err = string(b[9:])
		if r.Err == "" {
			r.Err = "unknown error"
		}
	default:
		return fmt.Errorf("bad reply status %d", b[8])
	}
	return nil
}

// writeFrame writes p with a 4-byte length in front.
func writeFrame(w io.Writer, p []byte) error {
	if len(p) > maxFrame {
		return fmt.Errorf("frame of %d bytes exceeds %d", len(p), maxFrame)
	}
	b := make([]byte, 4+len(p))
	binary.BigEndian.PutUint32(b, uint32(len(p)))
	copy(b[4:], p)
	_, err := w.Write(b)
	clear(b) // requests hold a password
	return err
}

// readFrame reads one length-prefixed frame.
func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxFrame {
		return nil, fmt.Errorf("frame of %d bytes exceeds %d", size, maxFrame)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("read frame: %w", io.ErrUnexpectedEOF)
	}
	return b, nil
}
