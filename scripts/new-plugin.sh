#!/bin/sh
# Scaffolds a pixpipe plugin folder that builds against the installed SDK
# (pkg-config pixpipe) and loads as it is.
#
#   new-plugin.sh NAME KIND [DIR]     KIND: stage, storage or metadata
#
# NAME is the plugin's name as pipelines write it (lower case, digits and
# '-'); DIR (default ./NAME) must not exist yet.  Installed as
# pixpipe-new-plugin; `make new-plugin NAME=... KIND=...` runs it in a tree.
set -eu

usage() {
    echo "usage: $0 NAME stage|storage|metadata [DIR]" >&2
    exit 2
}
[ $# -ge 2 ] && [ $# -le 3 ] || usage
name=$1 kind=$2 dir=${3:-$1}

case $name in
'' | *[!a-z0-9-]* | [!a-z]* | *-)
    echo "$0: plugin name '$name': use lower-case letters, digits and '-', starting with a letter" >&2
    exit 2
    ;;
esac
case $kind in
stage | storage | metadata) ;;
*)
    echo "$0: kind '$kind': must be stage, storage or metadata" >&2
    exit 2
    ;;
esac
if [ -e "$dir" ]; then
    echo "$0: $dir already exists; choose another folder" >&2
    exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
templates=$here/new-plugin
[ -d "$templates" ] || templates=$here/../share/pixpipe/new-plugin
if [ ! -f "$templates/$kind.c" ]; then
    echo "$0: templates not found beside the script or in ../share/pixpipe/new-plugin" >&2
    exit 1
fi

sym=$(printf '%s' "$name" | tr '-' '_')
scheme=${name#storage-} # a storage plugin's URI scheme: storage-dav serves dav://
mkdir -p "$dir"
sed -e "s/@NAME@/$name/g" -e "s/@SYM@/$sym/g" -e "s/@SCHEME@/$scheme/g" "$templates/$kind.c" > "$dir/$sym.c"
sed -e "s/@NAME@/$name/g" -e "s/@SYM@/$sym/g" "$templates/Makefile.in" > "$dir/Makefile"
cat <<MSG
created $dir/$sym.c and $dir/Makefile ($kind plugin '$name')
next:
  make -C $dir                      # needs pkg-config to find pixpipe.pc
  PIXPIPE_PLUGIN_PATH=$dir pixpipe plugins $name
MSG
