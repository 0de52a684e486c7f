// Package privfile prepares the files charmtrace's SQLite databases live in: private
// (mode 0600) regular files, reached without following a symbolic link.
//
// A symbolic link at a database path or a sidecar path (-wal, -shm, -journal) would make
// a chmod, or SQLite's writes, land on whatever the link points to. The functions here
// look with lstat, and where a mode must change, open with O_NOFOLLOW and change it
// through the descriptor they opened, so a link swapped in between the look and the change
// is refused, not followed. What to do about a link found (move it aside, refuse) is the
// caller's decision.
//
// SQLite itself opens the files by name afterwards; a link planted between these checks
// and that open is not caught here. Planting one needs write access to the charm
// directory, which is root's or the unit agent's.
package privfile
