package ui

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
)

// maxPlaybookSize bounds what "Import playbook" reads: a playbook is text;
// anything larger is the wrong file.
const maxPlaybookSize = 4 << 20

// onImportPlaybook lets the responder pick a playbook file of their own.
// Once imported it is offered in the new-incident form.
func (s *listScreen) onImportPlaybook() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			s.u.showError("Could not open the playbook file", err)
			return
		}
		if rc == nil {
			return // cancelled
		}
		uri := rc.URI()
		_ = rc.Close() // the file is read again off the UI goroutine
		s.importPlaybook(uri.Path())
	}, s.u.w)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".yaml", ".yml", ".json"}))
	d.Show()
}

// importPlaybook reads, validates and saves a playbook file off the UI
// goroutine, then says what was imported or lists every problem with its
// line and column.
func (s *listScreen) importPlaybook(path string) {
	svc := s.u.svc
	s.jobs.write(func(ctx context.Context) func() {
		data, err := readPlaybookFile(path)
		if err == nil {
			imported, ierr := svc.ImportPlaybook(ctx, filepath.Base(path), data)
			if ierr == nil {
				msg := fmt.Sprintf("Imported playbook %s version %s.\nSHA-256 %s\nIt is now offered when you create an incident.",
					imported.ID, imported.Version, imported.SHA256)
				return func() { s.showInfo("Playbook imported", msg) }
			}
			err = ierr
		}
		return func() { s.u.showError("Could not import playbook "+filepath.Base(path), err) }
	})
}

func (s *listScreen) showInfo(title, msg string) {
	s.lastInfo = msg
	label := widget.NewLabel(msg)
	label.Wrapping = fyne.TextWrapWord
	dialog.ShowCustom(title, "Close", label, s.u.w)
}

func readPlaybookFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPlaybookSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxPlaybookSize {
		return nil, fmt.Errorf("%s is larger than %d MB: not a playbook", path, maxPlaybookSize>>20)
	}
	return data, nil
}
