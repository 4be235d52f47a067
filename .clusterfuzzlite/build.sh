#!/bin/bash -eu
# ClusterFuzzLite build: the same as OSS-Fuzz's.
exec "$SRC/stguard/fuzz/oss-fuzz/build.sh"
