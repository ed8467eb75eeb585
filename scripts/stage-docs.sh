#!/bin/sh
# Rewrites every option table in docs/*.md from the plugins themselves:
# the lines between "<!-- options: NAME -->" and "<!-- /options -->" become
# the output of `pixpipe plugins --markdown NAME`.  Run after changing an
# option table; tests/e2e/test_docs.c fails while the two differ.
set -eu
build=${1:-build}
for doc in docs/*.md; do
    grep -q '<!-- options: ' "$doc" || continue
    tmp=$(mktemp)
    awk -v bin="$build/pixpipe" '
        /<!-- options: [a-z0-9-]+ -->/ {
            print
            name = $3
            cmd = bin " plugins --markdown " name
            while ((cmd | getline line) > 0) print line
            close(cmd)
            skipping = 1
            next
        }
        /<!-- \/options -->/ { skipping = 0 }
        !skipping { print }
    ' "$doc" > "$tmp"
    mv "$tmp" "$doc"
done
