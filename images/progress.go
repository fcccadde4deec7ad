package images

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress reports a pull. On a terminal every layer has a line that is
// redrawn in place; otherwise each layer prints a line when it starts and
// when it ends, so logs (and the journal) stay readable.
type progress struct {
	w    io.Writer
	tty  bool
	mu   sync.Mutex
	bars []*bar
	// drawn is how many bar lines are on screen below the cursor's line.
	drawn int
	last  time.Time
}

type bar struct {
	p      *progress
	name   string
	total  int64
	n      int64
	status string
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		w = io.Discard
	}
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

// printf prints a line above the bars.
func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, format, args...)
	p.draw()
}

// Write prints lines above the bars; with it a progress is a writer that
// goroutines can share.
func (p *progress) Write(b []byte) (int, error) {
	p.printf("%s", b)
	return len(b), nil
}

func (p *progress) bar(name string, total int64) *bar {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := &bar{p: p, name: name, total: total, status: "Waiting"}
	if p.tty {
		p.clear()
		p.bars = append(p.bars, b)
		p.draw()
	}
	return b
}

func (b *bar) set(status string) {
	p := b.p
	p.mu.Lock()
	defer p.mu.Unlock()
	b.status = status
	if p.tty {
		p.clear()
		p.draw()
		return
	}
	fmt.Fprintf(p.w, "%s: %s\n", b.name, status)
}

func (b *bar) reset() {
	b.p.mu.Lock()
	b.n = 0
	b.p.mu.Unlock()
}

func (b *bar) add(n int) {
	p := b.p
	p.mu.Lock()
	defer p.mu.Unlock()
	b.n += int64(n)
	if p.tty && time.Since(p.last) > 100*time.Millisecond {
		p.clear()
		p.draw()
	}
}

// clear moves the cursor up over the bars and erases them.
func (p *progress) clear() {
	if !p.tty || p.drawn == 0 {
		return
	}
	fmt.Fprintf(p.w, "\x1b[%dA\x1b[J", p.drawn)
	p.drawn = 0
}

func (p *progress) draw() {
	if !p.tty {
		return
	}
	var sb strings.Builder
	for _, b := range p.bars {
		fmt.Fprintf(&sb, "%s: %-11s %s\n", b.name, b.status, b.amount())
	}
	io.WriteString(p.w, sb.String())
	p.drawn = len(p.bars)
	p.last = time.Now()
}

func (b *bar) amount() string {
	if b.total <= 0 {
		return ""
	}
	const width = 30
	fill := int(min(b.n, b.total) * width / b.total)
	return fmt.Sprintf("[%s%s] %s / %s", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), byteSize(b.n), byteSize(b.total))
}

// reader counts what is read through it into the bar.
func (b *bar) reader(rc io.ReadCloser) io.ReadCloser {
	return &barReader{rc: rc, b: b}
}

type barReader struct {
	rc io.ReadCloser
	b  *bar
}

func (r *barReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.b.add(n)
	return n, err
}

func (r *barReader) Close() error { return r.rc.Close() }

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
