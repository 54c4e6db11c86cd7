"""Import images made elsewhere (A1111-style PNGs) into the learning history."""
