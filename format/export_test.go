package format

// WithChunk sets the size of the chunks that a parallel scan (WithWorkers)
// cuts the input into, for tests that need every cut: 1 cuts before every
// line that starts a record.
func WithChunk(n int) ScanOption {
	return func(s *Scanner) error { s.chunk = n; return nil }
}

// LoopBatches returns the batches of an EachFlow's parallel scan that went
// to its loop, once the scan has ended.
func (s *Scanner) LoopBatches() int { return s.par.sent() }

// HandOutStopped returns a function that reports whether an EachFlow's
// parallel scan, under way, hands out flows no more.
func (s *Scanner) HandOutStopped() func() bool {
	p := s.par
	return func() bool { return p.stopped.Load() }
}
