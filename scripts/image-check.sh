#!/bin/sh
# Runs the Lambda container image (`make image`) as Lambda would, without a
# container engine: its file system exported from podman, its ENTRYPOINT
# run as its USER with its ENV and WORKDIR, in a chroot whose root is
# read-only and whose /tmp is a tmpfs.  Against the project's test servers
# (s3rver and dynalite behind the SigV4 gate, the Runtime API emulator) it
# answers one S3 event; the renditions and the DynamoDB item must appear.
# Prints the image size and the time from process start to the answer.
#   scripts/image-check.sh BUILD     (as root; `make image-check`)
# BUILD is the build tree whose mkimage makes the photo uploaded.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
tag=${PIXPIPE_IMAGE:-localhost/pixpipe:latest}

fail() { echo "image-check: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (chroot and mounts)"
# The servers first: this script runs again under with-servers.sh, which
# stops them on every way out.
if [ -z "${PIXPIPE_TEST_S3:-}" ]; then
    sh "$src/scripts/deps.sh" image
    exec sh "$src/scripts/with-servers.sh" sh "$0" "$build"
fi
[ -n "${PIXPIPE_TEST_LAMBDA_ADMIN:-}" ] || fail "the test servers did not start"
podman image exists "$tag" || fail "no image $tag: run  make image"

. "$src/scripts/mounts.sh"
work=$(cd "$(mktemp -d "${TMPDIR:-/var/tmp}/pixpipe-image.XXXXXX")" && pwd -P)
root=$work/root
# The function runs with ROOT as its root, so the trap ends it too.
on_exit_remove_tree "$work" "$root"

# ---- the image: its size, its configuration, its file system -------------
size=$(podman image inspect --format '{{.Size}}' "$tag")
inspect() { podman image inspect --format "$1" "$tag"; }
inspect '{{range .Config.Entrypoint}}{{println .}}{{end}}{{range .Config.Cmd}}{{println .}}{{end}}' \
    | sed '/^$/d' >"$work/argv"
inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d' >"$work/env"
user=$(inspect '{{.Config.User}}')
wd=$(inspect '{{.Config.WorkingDir}}')
[ -s "$work/argv" ] || fail "$tag has no ENTRYPOINT"

mkdir "$root"
cid=$(podman create "$tag")
podman export "$cid" | tar -C "$root" -xf -
podman rm "$cid" >/dev/null

# USER: a name from the image's own /etc/passwd, or uid[:gid].
case ${user%%:*} in
"" ) uid=0 gid=0 ;;
*[!0-9]*)
    line=$(grep "^${user%%:*}:" "$root/etc/passwd" 2>/dev/null) ||
        fail "USER $user is not in the image's /etc/passwd"
    uid=$(echo "$line" | cut -d: -f3) gid=$(echo "$line" | cut -d: -f4) ;;
*) uid=${user%%:*} gid=${user#*:}; [ "$gid" = "$user" ] && gid=$uid ;;
esac

# What a photo pipeline must not carry: the loaders of other formats.
extra=$(cd "$root" && find . \( -name 'libMagick*' -o -name 'libpoppler*' -o -name 'libopenslide*' \
    -o -name 'librsvg*' -o -name 'vips-magick*' -o -name 'vips-poppler*' -o -name 'vips-openslide*' \) \
    -print | sort | tr '\n' ' ')

# ---- Lambda's view: a read-only root, a tmpfs /tmp ------------------------
for d in tmp proc dev; do
    [ -d "$root/$d" ] || mkdir "$root/$d"
done
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount -t tmpfs -o size=512m,mode=1777 tmpfs "$root/tmp"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"

# ---- one upload, its table, its event --------------------------------------
key="uploads/image-check/$(date +%s)-$$/photo.jpg"
table=image-check-$$
# Debian's awscli with the test servers' credentials.
test_aws() {
    env -u AWS_PROFILE -u AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID="$PIXPIPE_TEST_AWS_ACCESS_KEY_ID" \
        AWS_SECRET_ACCESS_KEY="$PIXPIPE_TEST_AWS_SECRET_ACCESS_KEY" AWS_DEFAULT_REGION=us-east-1 \
        AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= \
        AWS_EC2_METADATA_DISABLED=true AWS_REQUEST_CHECKSUM_CALCULATION=when_required \
        AWS_RESPONSE_CHECKSUM_VALIDATION=when_required /usr/bin/aws --output json "$@"
}
"$build/mkimage" --scene --orientation 6 --camera "$work/photo.jpg" 2400 1800
test_aws --endpoint-url "$PIXPIPE_TEST_S3" s3api put-object --bucket pixpipe-src --key "$key" \
    --body "$work/photo.jpg" >/dev/null
# A format the image has no loader for, in the same event: it fails alone.
svgkey=${key%/*}/vector.svg
printf '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>\n' \
    >"$work/vector.svg"
test_aws --endpoint-url "$PIXPIPE_TEST_S3" s3api put-object --bucket pixpipe-src --key "$svgkey" \
    --body "$work/vector.svg" >/dev/null
test_aws --endpoint-url "$PIXPIPE_TEST_DYNAMODB" dynamodb create-table --table-name "$table" \
    --attribute-definitions AttributeName=source_bucket,AttributeType=S AttributeName=source_key,AttributeType=S \
    --key-schema AttributeName=source_bucket,KeyType=HASH AttributeName=source_key,KeyType=RANGE \
    --billing-mode PAY_PER_REQUEST >/dev/null
# The private runtime of this check: its own port and queue.
rt=$(curl -sS --max-time 10 -X POST "$PIXPIPE_TEST_LAMBDA_ADMIN/runtimes")
api=$(printf '%s' "$rt" | sed -n 's/.*"api":"\([^"]*\)".*/\1/p')
admin=$(printf '%s' "$rt" | sed -n 's/.*"admin":"\([^"]*\)".*/\1/p')
[ -n "$api" ] && [ -n "$admin" ] || fail "the Runtime API emulator answered: $rt"
record() {
    printf '{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"pixpipe-src"},"object":{"key":"%s","sequencer":"%s"}}}' "$1" "$2"
}
event="{\"Records\":[$(record "$key" 00A1),$(record "$svgkey" 00A2)]}"
id=$(curl -sS --max-time 10 -X POST "$admin/invoke" -d "{\"event\":$event,\"timeout_ms\":60000}" |
    sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$id" ] || fail "the emulator queued no event"

# ---- the function: ENTRYPOINT as USER, ENV and WORKDIR, nothing else ------
# run_function N: the function, ending by itself after N invocations (0:
# when it would first ask for one, i.e. at the end of its init).
run_function() {
    max=$1
    set -- /usr/bin/env -i
    while IFS= read -r e; do set -- "$@" "$e"; done <"$work/env"
    set -- "$@" AWS_LAMBDA_RUNTIME_API="$api" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
        AWS_ACCESS_KEY_ID="$PIXPIPE_TEST_AWS_ACCESS_KEY_ID" \
        AWS_SECRET_ACCESS_KEY="$PIXPIPE_TEST_AWS_SECRET_ACCESS_KEY" \
        AWS_LAMBDA_FUNCTION_NAME=pixpipe AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024 \
        AWS_ENDPOINT_URL_S3="$PIXPIPE_TEST_S3" AWS_ENDPOINT_URL_DYNAMODB="$PIXPIPE_TEST_DYNAMODB" \
        PIXPIPE_S3_PATH_STYLE=true PIXPIPE_SOURCE_BUCKET=pixpipe-src PIXPIPE_DEST_BUCKET=pixpipe-out \
        PIXPIPE_SOURCE_PREFIX=uploads/ PIXPIPE_TABLE="$table" PIXPIPE_LAMBDA_MAX_INVOCATIONS="$max" \
        /usr/bin/unshare --root="$root" --wd="${wd:-/}" --setgid="$gid" --setuid="$uid"
    while IFS= read -r a; do set -- "$@" "$a"; done <"$work/argv"
    "$@"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The init alone, five times: process start to the first GET next.
for i in 1 2 3 4 5; do
    s=$(now_ms)
    run_function 0 >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; fail "the function's init failed"; }
    echo $(($(now_ms) - s)) >>"$work/init.ms"
done
init_ms=$(sort -n "$work/init.ms" | sed -n 3p)

t0=$(now_ms)
run_function 1 >"$work/function.log" 2>&1 &
pid=$!
answer=$(curl -sS --max-time 70 "$admin/result/$id?wait_ms=60000")
cold_ms=$(($(now_ms) - t0))
case $answer in
*'"kind":"response"'*) ;;
*) cat "$work/function.log" >&2; fail "the function's answer: $answer" ;;
esac
case $answer in
*'"processed":1,'*"$svgkey"*) ;;
*) cat "$work/function.log" >&2; fail "want the photo processed and the SVG failed: $answer" ;;
esac
# PIXPIPE_LAMBDA_MAX_INVOCATIONS=1: the function exits by itself.
n=0
while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
kill -0 "$pid" 2>/dev/null && { cat "$work/function.log" >&2; fail "the function did not exit after its one invocation"; }
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$work/function.log" >&2; fail "the function exited $rc"; }

mkdir -p "$build/image-check"
cp "$work/function.log" "$build/image-check/function.log"
# A library that cannot find its files (fonts, their cache, CA bundle) says
# so on stderr; the function writes JSON lines only.
if grep -v '^{' "$work/function.log" >"$work/stray.log"; then
    cat "$work/stray.log" >&2
    fail "the function printed lines that are not its JSON log (above; all in $build/image-check/function.log)"
fi

# ---- what must have appeared -----------------------------------------------
stem=${key%.jpg}
for r in large:1600x1200 thumb:256x256; do
    name=${r%%:*} want=${r#*:}
    test_aws --endpoint-url "$PIXPIPE_TEST_S3" s3api get-object --bucket pixpipe-out \
        --key "$stem-$name.jpg" "$work/$name.jpg" >/dev/null ||
        fail "no rendition $stem-$name.jpg in pixpipe-out"
    got=$(vipsheader -f width "$work/$name.jpg")x$(vipsheader -f height "$work/$name.jpg")
    [ "$got" = "$want" ] || fail "$stem-$name.jpg is $got, want $want"
    cp "$work/$name.jpg" "$build/image-check/"
done
# The same pixels as this tree's own build: the image's stages, run here on
# the same photo with local storage (libvips is the same version, from the
# same Debian source, in both).
{
    echo "name: lambda"
    echo "source: { storage: fs }"
    echo "destination: { storage: fs, root: \"$work/host\", key: \"{name}-{rendition}.{ext}\" }"
    echo "metadata: { backend: sqlite, path: \"$work/host/md.db\" }"
    sed -n '/^limits:/p; /^output:/p; /^stages:/,$p' "$src/pipelines/lambda.yaml"
} >"$work/host.yaml"
env -i PATH=/usr/bin:/bin HOME="$work" "$build/pixpipe" run -q -p "$work/host.yaml" "$work/photo.jpg" >"$work/host.log" 2>&1 ||
    { cat "$work/host.log" >&2; fail "this tree's build failed on the same photo"; }
for name in large thumb; do
    vips subtract "$work/$name.jpg" "$work/host/photo-$name.jpg" "$work/d.v"
    vips abs "$work/d.v" "$work/a.v"
    diff=$(vips max "$work/a.v")
    echo "$name: largest difference from this tree's build $diff" >>"$work/diff.log"
    [ "$(echo "$diff" | cut -d. -f1)" -le 2 ] ||
        fail "$stem-$name.jpg differs from this tree's build by up to $diff levels"
done

item=$(test_aws --endpoint-url "$PIXPIPE_TEST_DYNAMODB" dynamodb get-item --table-name "$table" \
    --key "{\"source_bucket\":{\"S\":\"pixpipe-src\"},\"source_key\":{\"S\":\"$key\"}}")
case $item in
*'"status"'*'"ok"'*) ;;
*) fail "the DynamoDB item of $key: $item" ;;
esac
svgitem=$(test_aws --endpoint-url "$PIXPIPE_TEST_DYNAMODB" dynamodb get-item --table-name "$table" \
    --key "{\"source_bucket\":{\"S\":\"pixpipe-src\"},\"source_key\":{\"S\":\"$svgkey\"}}")
svgerror=$(printf '%s' "$svgitem" | tr -d '\n' | sed -n 's/.*"error": *{ *"S": *"\([^"]*\)".*/\1/p')
case $svgitem in
*'"status"'*'"failed"'*) ;;
*) fail "the DynamoDB item of $svgkey: $svgitem" ;;
esac

echo "image-check: $tag: $((size / 1000000)) MB ($size bytes)"
echo "image-check: cold start from a read-only root: init $init_ms ms (median of 5, process start to the first GET next);"
echo "  one S3 event (a 2400x1800 JPEG and an SVG) answered $cold_ms ms after the process started:"
echo "  renditions $stem-large.jpg 1600x1200 and $stem-thumb.jpg 256x256, DynamoDB item status ok"
sed 's/^/  /' "$work/diff.log"
echo "  $svgkey failed alone: $svgerror"
[ -z "$extra" ] || fail "the image carries loaders a photo pipeline does not need: $extra"
