package metrics

import "sync"

// MaxOperationLabels bounds the distinct operation labels, and so the
// series of the operation metrics. The GraphQL layer already labels by
// names the operator listed or by the schema's root fields; this bound
// holds even if a label ever came from the client again.
const MaxOperationLabels = 200

// otherLabel takes the place of any label past the bound.
const otherLabel = "other"

// labelCap admits up to max distinct label values, then answers
// otherLabel for any new one. Known values are read without the lock.
type labelCap struct {
	max  int
	seen sync.Map // string → struct{}
	mu   sync.Mutex
	n    int
}

func (c *labelCap) admit(v string) string {
	if _, ok := c.seen.Load(v); ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen.Load(v); ok {
		return v
	}
	if c.n >= c.max {
		return otherLabel
	}
	c.seen.Store(v, struct{}{})
	c.n++
	return v
}
