package podinit

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxLogLine bounds one journal entry; longer lines are split so that a
// container printing megabytes without a newline cannot make podinit
// buffer without limit (journald itself caps entries too).
const maxLogLine = 48 * 1024

// splitLines reads r until EOF or error and calls emit for each line
// without its newline; lines longer than max are emitted in max-sized
// pieces, and a final unterminated line is emitted too. The slice passed
// to emit is only valid during the call.
func splitLines(r io.Reader, max int, emit func([]byte)) {
	br := bufio.NewReaderSize(r, max)
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			emit(bytes.TrimSuffix(line, []byte("\n")))
		case errors.Is(err, bufio.ErrBufferFull):
			emit(line)
		default:
			if len(line) > 0 {
				emit(line)
			}
			return
		}
	}
}
