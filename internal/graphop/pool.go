package graphop

import "sync"

// Pool keeps released Evaluators by a key (their batch size, or batch and dimension) for
// the next Bind with that key: a solve node binds on every run of its graph, and an
// Evaluator's buffers (N2's network: 2 MB) would otherwise be allocated, zeroed and
// collected every time. Max bounds the Evaluators kept per key (0: no bound). The zero
// value is ready to use; safe for concurrent use.
type Pool[K comparable, T any] struct {
	Max  int
	mu   sync.Mutex
	free map[K][]T
}

// Get takes a released Evaluator with the key, if there is one.
func (p *Pool[K, T]) Get(key K) (T, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var zero T
	evs := p.free[key]
	if len(evs) == 0 {
		return zero, false
	}
	e := evs[len(evs)-1]
	evs[len(evs)-1] = zero
	p.free[key] = evs[:len(evs)-1]
	return e, true
}

// Put releases an Evaluator with the key; the caller must not use it afterwards.
func (p *Pool[K, T]) Put(key K, e T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free == nil {
		p.free = map[K][]T{}
	}
	if p.Max == 0 || len(p.free[key]) < p.Max {
		p.free[key] = append(p.free[key], e)
	}
}
