package server_test

import "google.golang.org/grpc"

func methodNames(ms []grpc.MethodDesc) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.MethodName)
	}
	return out
}
