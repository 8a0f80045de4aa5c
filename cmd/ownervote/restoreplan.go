package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ownervote/ownervote/store"
)

// A restore swaps several files (the database, its journal, the key files)
// by renames that cannot be one atomic change. Before the first of them, it
// writes its plan to the data directory (restorePlanFile, fsynced); it
// removes the plan once every rename is done and synced. While a plan is
// there, the directory is half one thing and half another: the server,
// the offline backup and the token commands refuse it, and the next
// restore first undoes what the interrupted one did.
const restorePlanFile = dbFile + ".restore-plan"

// restoreLockFile is locked by a restore or an undo for as long as it runs
// (lockRestore).
const restoreLockFile = dbFile + ".restore-lock"

// restoreStepHook is called after each step of a restore's swap: nothing
// to do, but a build with the ownervote_faults tag kills the process there
// when told to, as a power cut would.
var restoreStepHook = func(step) {}

// restorePlan is what an unfinished restore was doing.
type restorePlan struct {
	From    string    `json:"from"`
	Started time.Time `json:"started"`
	// Staged are the files written beside their places (removed on undo).
	Staged []string `json:"staged,omitempty"`
	// Steps are the swap's links and renames, in order; empty while the
	// new files are still being written.
	Steps []step `json:"steps,omitempty"`
}

// step is one change of restore's swap: a file linked to a new name (what
// is kept aside), or renamed (over what was there, or aside).
type step struct {
	Link bool   `json:"link,omitempty"`
	From string `json:"from"`
	To   string `json:"to"`
}

func (s step) do() error {
	if s.Link {
		return os.Link(s.From, s.To)
	}
	return os.Rename(s.From, s.To)
}

// done tells whether the step happened, from what the directory holds: a
// link made has its new name; a rename made, its new name and not its old
// one.
func (s step) done() bool {
	if s.Link {
		return exists(s.To)
	}
	return exists(s.To) && !exists(s.From)
}

// undo reverses do: the link goes away, the rename goes back. (The new
// file renamed over one kept aside by link goes back to its staging name;
// the link's undo, which runs after, then puts the old one back.)
func (s step) undo() error {
	if s.Link {
		if !exists(s.From) {
			return os.Rename(s.To, s.From)
		}
		// The link goes only if it is the file still in place: never the
		// last name of one.
		from, ferr := os.Stat(s.From)
		to, terr := os.Stat(s.To)
		if ferr != nil || terr != nil || !os.SameFile(from, to) {
			return fmt.Errorf("%s and %s are not one file: neither is removed", s.From, s.To)
		}
		return os.Remove(s.To)
	}
	return os.Rename(s.To, s.From)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// writeRestorePlan records p in dir, replacing an earlier version of it
// whole, durably.
func writeRestorePlan(dir string, p restorePlan) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, restorePlanFile)
	tmp := path + ".new"
	os.Remove(tmp)
	if err := writeNewFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return store.SyncDir(dir)
}

// readRestorePlan reads dir's plan; ok is false when there is none.
func readRestorePlan(dir string) (p restorePlan, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, restorePlanFile))
	if errors.Is(err, fs.ErrNotExist) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, true, fmt.Errorf("%s: %w", filepath.Join(dir, restorePlanFile), err)
	}
	return p, true, nil
}

// refuseUnfinishedRestore is the error of a command that would open dir's
// database while a restore into it is unfinished.
func refuseUnfinishedRestore(dir string) error {
	p, ok, err := readRestorePlan(dir)
	if !ok {
		return err
	}
	return fmt.Errorf("%s holds an unfinished restore (of %s, started %s; %s tells what it did): the database, its journal and the key files may not belong together. "+
		"Run the restore again (it first undoes the unfinished one), or `ownervote restore --undo --data %s` to put back what was there",
		dir, p.From, p.Started.Format(time.RFC3339), restorePlanFile, dir)
}

// undoRestore undoes what dir's unfinished restore did, in reverse, and
// removes its staged files and its plan. It says on w what it undid. A
// restore whose every step was done (cut off before it removed its plan)
// is finished instead. The caller holds the restore lock.
func undoRestore(dir string, w io.Writer) error {
	p, ok, err := readRestorePlan(dir)
	if err != nil || !ok {
		return err
	}
	finished := len(p.Steps) > 0
	for _, s := range p.Steps {
		finished = finished && s.done()
	}
	if finished {
		if err := os.Remove(filepath.Join(dir, restorePlanFile)); err != nil {
			return err
		}
		fmt.Fprintf(w, "the restore of %s into %s (started %s) had done every step: it is finished\n", p.From, dir, p.Started.Format(time.RFC3339))
		return store.SyncDir(dir)
	}
	for i := len(p.Steps) - 1; i >= 0; i-- {
		s := p.Steps[i]
		if !s.done() {
			continue
		}
		if err := s.undo(); err != nil {
			// Stop at the first step that cannot be undone: the ones
			// before it would otherwise be undone under it.
			return fmt.Errorf("the unfinished restore of %s into %s could not be undone whole (%v); %s is kept: move the files back by hand, as it lists them",
				p.From, dir, err, restorePlanFile)
		}
	}
	for _, f := range p.Staged {
		os.Remove(f)
		// A staged database written but not yet named.
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(f), "."+filepath.Base(f)+".partial-*"))
		for _, m := range matches {
			os.Remove(m)
		}
	}
	if err := store.SyncDir(dir); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, restorePlanFile)); err != nil {
		return err
	}
	fmt.Fprintf(w, "undid the unfinished restore of %s into %s (started %s): what was there is back in place\n", p.From, dir, p.Started.Format(time.RFC3339))
	return store.SyncDir(dir)
}
