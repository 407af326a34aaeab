package browser_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/browser"
)

func TestOpenEvalScreenshot(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!DOCTYPE html><title>t</title><p id="x">hello</p>`))
	}))
	defer srv.Close()
	b := browser.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := b.Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var text string
	if err := p.Eval(ctx, `document.getElementById("x").textContent`, &text); err != nil || text != "hello" {
		t.Errorf("Eval: %q %v", text, err)
	}
	if err := p.Eval(ctx, `no_such_function()`, nil); err == nil {
		t.Error("an exception in the page is not an error")
	}
	png, err := p.Screenshot(ctx)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("Screenshot: %v, %d bytes", err, len(png))
	}
}
