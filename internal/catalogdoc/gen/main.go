package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/milestone-go/milestone/internal/catalogdoc"
)

func main() {
	out := flag.String("o", "docs/events.md", "file to write")
	flag.Parse()
	if err := os.WriteFile(*out, catalogdoc.Render(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
