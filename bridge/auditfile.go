package bridge

import (
	"fmt"
	"os"
	"sync"
)

// AuditFile is an append-only audit log file that can be reopened, so
// logrotate can move it away and signal the server (SIGHUP) to start a new
// one, and that takes back the fragment of a record a short write (a full
// filesystem) left at its end.
type AuditFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// auditFileMode keeps the audit log private to the server's user.
const auditFileMode = 0o600

// OpenAuditFile opens path for appending, creating it if need be.
func OpenAuditFile(path string) (*AuditFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, auditFileMode)
	if err != nil {
		return nil, fmt.Errorf("bridge: audit file: %w", err)
	}
	return &AuditFile{path: path, f: f}, nil
}

// Write appends p in one write.
func (a *AuditFile) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f.Write(p)
}

// UndoPartial cuts the last n bytes off the file: the part of a record that
// a failed write left behind. Truncating frees space, so it works on a full
// filesystem too.
func (a *AuditFile) UndoPartial(n int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	fi, err := a.f.Stat()
	if err != nil {
		return fmt.Errorf("bridge: audit file: %w", err)
	}
	size := fi.Size() - int64(n)
	if size < 0 {
		return fmt.Errorf("bridge: audit file: %s holds %d bytes, fewer than the %d to take back", a.path, fi.Size(), n)
	}
	if err := a.f.Truncate(size); err != nil {
		return fmt.Errorf("bridge: audit file: %w", err)
	}
	return nil
}

// Reopen opens the path again and closes the old file. When the path
// cannot be opened, the old file stays in use and the error says why.
func (a *AuditFile) Reopen() error {
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, auditFileMode)
	if err != nil {
		return fmt.Errorf("bridge: audit file: reopen: %w", err)
	}
	a.mu.Lock()
	old := a.f
	a.f = f
	a.mu.Unlock()
	return old.Close()
}

// Close closes the file.
func (a *AuditFile) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f.Close()
}

// Path is the file's path.
func (a *AuditFile) Path() string { return a.path }
