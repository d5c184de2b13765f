package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"s3responder/app"
)

// Size limits of what the CLI reads. Real documents are far smaller (a
// bucket policy is at most 20 KB); the limits only stop a wrong file, or
// an endless pipe, from filling memory.
const (
	maxDocument = 16 << 20 // policies, ACLs, Block Public Access, ownership, key lists, queries, playbooks
	maxNoteLine = 4 << 20  // one line of a note file
)

// ErrInterrupted is returned by a read that Ctrl-C or a TERM cut short.
var ErrInterrupted = errors.New("interrupted")

// openInput opens FILE, or standard input for "-", so that Ctrl-C and
// SIGTERM (ctx) interrupt both the open and every read. Opening a FIFO
// blocks until a writer comes, and a read from a pipe or a terminal blocks
// until data comes; neither looks at ctx, so both run in a goroutine that
// is abandoned on cancel (the command then ends and releases the database).
// name is what messages call the input.
func openInput(ctx context.Context, d Deps, file string) (rc io.ReadCloser, name string, err error) {
	if file == "-" {
		return newCtxReader(ctx, "standard input", d.Stdin, nil), "standard input", nil
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(file)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, file, o.err
		}
		return newCtxReader(ctx, file, o.f, o.f), file, nil
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, file, fmt.Errorf("%w while waiting to open %s (a FIFO with no writer?)", ErrInterrupted, file)
	}
}

// readInput reads all of FILE or standard input ("-"), interruptibly and
// up to limit bytes, as given. what names the document for messages.
func readInput(ctx context.Context, d Deps, file, what string, limit int64) ([]byte, error) {
	rc, name, err := openInput(ctx, d, file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", what, name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d MiB, far more than %s ever is: is it the right file?", app.ErrInvalid, name, limit>>20, what)
	}
	return data, nil
}

// readText is readInput for a text document: a byte-order mark or UTF-16
// (as Windows tools write) is decoded to UTF-8 by app.DecodeText.
func readText(ctx context.Context, d Deps, file, what string, limit int64) ([]byte, error) {
	data, err := readInput(ctx, d, file, what, limit)
	if err != nil {
		return nil, err
	}
	data, err = app.DecodeText(data)
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", what, sourceName(file), err)
	}
	return data, nil
}

// ctxReader reads r in a goroutine, one Read at a time and only when
// asked (nothing is read ahead of the caller), so that a Read returns as
// soon as ctx is done even while r blocks.
type ctxReader struct {
	ctx    context.Context
	name   string
	reqs   chan int
	resp   chan chunk
	done   chan struct{}
	once   sync.Once
	closer io.Closer
	asked  bool   // a request is out and its answer not yet taken
	rest   []byte // answer bytes that did not fit the caller's buffer
}

type chunk struct {
	b   []byte
	err error
}

func newCtxReader(ctx context.Context, name string, r io.Reader, closer io.Closer) *ctxReader {
	cr := &ctxReader{ctx: ctx, name: name, reqs: make(chan int), resp: make(chan chunk), done: make(chan struct{}), closer: closer}
	go func() {
		for {
			select {
			case n := <-cr.reqs:
				buf := make([]byte, n)
				k, err := r.Read(buf)
				select {
				case cr.resp <- chunk{buf[:k], err}:
				case <-cr.done:
					return
				}
			case <-cr.done:
				return
			}
		}
	}()
	return cr
}

func (cr *ctxReader) Read(p []byte) (int, error) {
	if len(cr.rest) > 0 {
		n := copy(p, cr.rest)
		cr.rest = cr.rest[n:]
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	interrupted := fmt.Errorf("%w while reading %s", ErrInterrupted, cr.name)
	if cr.ctx.Err() != nil {
		return 0, interrupted
	}
	if !cr.asked {
		select {
		case cr.reqs <- len(p):
			cr.asked = true
		case <-cr.ctx.Done():
			return 0, interrupted
		}
	}
	select {
	case c := <-cr.resp:
		cr.asked = false
		n := copy(p, c.b)
		cr.rest = c.b[n:]
		return n, c.err
	case <-cr.ctx.Done():
		return 0, interrupted
	}
}

// Close stops the reading goroutine and closes the file (which also ends
// a read blocked on a FIFO); standard input is left open.
func (cr *ctxReader) Close() error {
	var err error
	cr.once.Do(func() {
		close(cr.done)
		if cr.closer != nil {
			err = cr.closer.Close()
		}
	})
	return err
}
