package inproc

import (
	"iter"
	"sync"
)

// coroutine is an iter.Pull coroutine that runs one server-streaming call
// after another. A fresh coroutine per call would start a goroutine with a
// small stack that grows (is copied) several times on the way into the
// handler, the router's calls being deep: a pooled one keeps its grown
// stack, and its goroutine, from call to call.
type coroutine struct {
	next func() (any, bool)
	stop func()
	// call is the next call to run, set before next resumes an idle coroutine.
	call call
}

// call is one server-streaming call to run on a coroutine: an interface
// its stream implements, where a closure would be one more allocation.
type call interface {
	run(yield func(any) bool)
}

// callEnded is what an idle coroutine yields when its call has returned.
type callEnded struct{}

func newCoroutine() *coroutine {
	co := &coroutine{}
	co.next, co.stop = iter.Pull(func(yield func(any) bool) {
		for {
			call := co.call
			co.call = nil
			call.run(yield)
			// Suspended here until the next call (true) or until stopped.
			if !yield(callEnded{}) {
				return
			}
		}
	})
	return co
}

// maxIdleCoroutines bounds the pool: each idle coroutine is a parked goroutine.
const maxIdleCoroutines = 256

var idleCoroutines struct {
	sync.Mutex
	list []*coroutine
}

func getCoroutine() *coroutine {
	idleCoroutines.Lock()
	if n := len(idleCoroutines.list); n > 0 {
		co := idleCoroutines.list[n-1]
		idleCoroutines.list = idleCoroutines.list[:n-1]
		idleCoroutines.Unlock()
		return co
	}
	idleCoroutines.Unlock()
	return newCoroutine()
}

// putCoroutine makes co, whose call has ended, available again; beyond the
// pool's bound its goroutine ends.
func putCoroutine(co *coroutine) {
	idleCoroutines.Lock()
	if len(idleCoroutines.list) < maxIdleCoroutines {
		idleCoroutines.list = append(idleCoroutines.list, co)
		idleCoroutines.Unlock()
		return
	}
	idleCoroutines.Unlock()
	co.stop()
}
