package rpc

// Reason is why the server is not ready, or, while it serves, why it is degraded (e.g. "degraded:
// event stream not provisioned ..."); empty when it is ready and whole.
func (s *Server) Reason() string {
	r, _ := s.reason.Load().(string)
	return r
}
