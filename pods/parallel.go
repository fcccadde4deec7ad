package pods

import "sync"

// startJobs bounds the pods one command starts at once. Each start waits
// for its pod's READY, mostly time spent in systemd and nspawn, so pods
// started one by one leave the host idle; all at once would make a small
// host thrash while systemd queues them anyway.
const startJobs = 8

// inOrder runs work(i) for every i in [0, n) on up to startJobs goroutines
// and calls done(i) in index order, each once work(i) has returned, so
// that output follows the input's order while the work overlaps.
func inOrder(n int, work, done func(i int)) {
	finished := make([]chan struct{}, n)
	for i := range finished {
		finished[i] = make(chan struct{})
	}
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		for i := range n {
			<-finished[i]
			done(i)
		}
	}()
	jobs := make(chan struct{}, startJobs)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		jobs <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-jobs }()
			work(i)
			close(finished[i])
		}()
	}
	wg.Wait()
	<-reported
}
