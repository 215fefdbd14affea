package gitops

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Trees are built directly in the object store (no worktree): kship
// replaces one folder of a commit's tree and leaves every other entry, byte
// for byte, as it was.

// writeFolder stores files as one flat tree and returns its hash; the zero
// hash when there are no files (git keeps no empty folders).
func writeFolder(s storer.EncodedObjectStorer, files map[string][]byte) (plumbing.Hash, error) {
	if len(files) == 0 {
		return plumbing.ZeroHash, nil
	}
	var entries []object.TreeEntry
	for _, name := range sortedNames(files) {
		h, err := writeBlob(s, files[name])
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h})
	}
	return writeTree(s, entries)
}

// replaceFolder returns the hash of root (a tree hash, or zero for an
// empty repository) with the folder at path (slash-separated, clean)
// replaced by the tree sub (removed when sub is zero). Parent folders are
// created as needed and removed when they become empty.
func replaceFolder(s storer.EncodedObjectStorer, root plumbing.Hash, path string, sub plumbing.Hash) (plumbing.Hash, error) {
	return replaceIn(s, root, strings.Split(path, "/"), sub)
}

func replaceIn(s storer.EncodedObjectStorer, tree plumbing.Hash, parts []string, sub plumbing.Hash) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !tree.IsZero() {
		t, err := object.GetTree(s, tree)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree %s: %w", tree, err)
		}
		entries = append(entries, t.Entries...)
	}
	name, child := parts[0], plumbing.ZeroHash
	i := indexOf(entries, name)
	if i >= 0 && entries[i].Mode == filemode.Dir {
		child = entries[i].Hash
	}
	next := sub
	if len(parts) > 1 {
		var err error
		if next, err = replaceIn(s, child, parts[1:], sub); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	if i >= 0 {
		entries = append(entries[:i], entries[i+1:]...)
	}
	if !next.IsZero() {
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: next})
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, nil
	}
	return writeTree(s, entries)
}

// folderOf returns the hash of the folder at path in tree (zero when
// there is none).
func folderOf(s storer.EncodedObjectStorer, tree plumbing.Hash, path string) (plumbing.Hash, error) {
	if tree.IsZero() {
		return plumbing.ZeroHash, nil
	}
	t, err := object.GetTree(s, tree)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	e, err := t.FindEntry(path)
	if err == object.ErrEntryNotFound || err == object.ErrDirectoryNotFound {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if e.Mode != filemode.Dir {
		return plumbing.ZeroHash, nil
	}
	return e.Hash, nil
}

func indexOf(entries []object.TreeEntry, name string) int {
	for i, e := range entries {
		if e.Name == name {
			return i
		}
	}
	return -1
}

// writeTree stores a tree with its entries in git's order (a folder sorts
// as if its name ended in "/").
func writeTree(s storer.EncodedObjectStorer, entries []object.TreeEntry) (plumbing.Hash, error) {
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	obj := s.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

func writeBlob(s storer.EncodedObjectStorer, data []byte) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

// readFolder reads the files of the flat folder tree (nested folders are
// not kship's and are left out).
func readFolder(s storer.EncodedObjectStorer, tree plumbing.Hash) (map[string][]byte, error) {
	out := map[string][]byte{}
	if tree.IsZero() {
		return out, nil
	}
	t, err := object.GetTree(s, tree)
	if err != nil {
		return nil, err
	}
	for _, e := range t.Entries {
		if !e.Mode.IsFile() {
			continue
		}
		b, err := object.GetBlob(s, e.Hash)
		if err != nil {
			return nil, err
		}
		r, err := b.Reader()
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(r)
		r.Close()
		if err != nil {
			return nil, err
		}
		out[e.Name] = buf.Bytes()
	}
	return out, nil
}
