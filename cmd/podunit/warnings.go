package main

import (
	"fmt"
	"io"

	"github.com/podunit/podunit/pod"
)

// printWarnings shows the pods' warnings as kubectl shows an API server's:
// one "Warning: " line each, on stderr, before the command's own output.
func printWarnings(w io.Writer, list []*pod.Pod) {
	for _, p := range list {
		for _, warning := range p.Warnings {
			fmt.Fprintln(w, "Warning:", warning)
		}
	}
}
