# Unit tests beside the sources (validator/src/*_test.cc).
