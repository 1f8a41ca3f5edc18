package server

// CompiledReadStats are the compiled-request cache's entries and hits.
func (s *Server) CompiledReadStats() (entries int, hits int64) {
	if s.compiledReads == nil {
		return 0, 0
	}
	return s.compiledReads.len(), s.compiledReads.hits.Load()
}
