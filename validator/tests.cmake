# Unit tests beside the sources (validator/src/*_test.cc).
set(STGUARD_UNIT_TESTS
  codes_test
  dtype_test
  checked_math_test
  str_cat_test
  json_cursor_test
  finding_sink_test
  header_json_test
  tensor_table_test
  layout_rules_test
  format_identify_test
  model_file_test
  pickle_walk_test
  policy_test
  validate_test
  file_source_test
  stream_validate_test
)
foreach(test ${STGUARD_UNIT_TESTS})
  stguard_add_test(${test} ${PROJECT_SOURCE_DIR}/validator/src/${test}.cc LABELS unit)
endforeach()
# model_file.cc and model_file_grade.cc are not in the library's source list
# (validator/CMakeLists.txt) until the directory scanner that calls them is:
# their test compiles them. (Harmless once the library has them too: the
# test's own objects satisfy the symbols first.)
target_sources(model_file_test PRIVATE ${PROJECT_SOURCE_DIR}/validator/src/model_file.cc
               ${PROJECT_SOURCE_DIR}/validator/src/model_file_grade.cc)

# Compares digests with OpenSSL's one-shot SHA256().
stguard_add_test(content_scan_test ${PROJECT_SOURCE_DIR}/validator/src/content_scan_test.cc
                 LIBS OpenSSL::Crypto LABELS unit)
