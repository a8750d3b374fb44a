package faultproxy

import (
	"time"
)

// Sampler counts the connections a set of proxies accepts, per interval of
// time: the connection attempts of a burst of clients as the servers
// behind the proxies receive them, to tell a burst that spreads out from
// one that comes back in waves.
type Sampler struct {
	proxies []*Proxy
	every   time.Duration
	stop    chan struct{}
	done    chan []int64
}

// NewSampler returns a Sampler of proxies counting per every; Start
// starts it.
func NewSampler(every time.Duration, proxies ...*Proxy) *Sampler {
	return &Sampler{proxies: proxies, every: every, stop: make(chan struct{}), done: make(chan []int64, 1)}
}

// accepted is how many connections the proxies accepted so far.
func (s *Sampler) accepted() int64 {
	var n int64
	for _, p := range s.proxies {
		n += p.Stats().Accepted
	}
	return n
}

// Start counts from now, in a goroutine, until Stop.
func (s *Sampler) Start() {
	last := s.accepted()
	go func() {
		var per []int64
		tick := time.NewTicker(s.every)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				s.done <- append(per, s.accepted()-last)
				return
			case <-tick.C:
				n := s.accepted()
				per = append(per, n-last)
				last = n
			}
		}
	}()
}

// Stop ends the count and returns the connections accepted in each
// interval since Start, the last one partial. It must follow Start, once.
func (s *Sampler) Stop() []int64 {
	close(s.stop)
	return <-s.done
}
