# Unit tests beside the sources (validator/src/*_test.cc).
set(STGUARD_UNIT_TESTS
  codes_test
  dtype_test
  checked_math_test
  str_cat_test
  finding_sink_test
  header_text_test
  tensor_table_test
  layout_rules_test
  format_identify_test
  model_file_test
  policy_test
  validate_test
  file_source_test
  stream_validate_test
  serde_number_test
)
foreach(test ${STGUARD_UNIT_TESTS})
  stguard_add_test(${test} ${PROJECT_SOURCE_DIR}/validator/src/${test}.cc LABELS unit)
endforeach()
# model_file.cc is not in the library's source list (validator/CMakeLists.txt)
# until the directory scanner that calls it is: its test compiles it. (Harmless
# once the library has it too: the test's own object satisfies the symbols.)
target_sources(model_file_test PRIVATE ${PROJECT_SOURCE_DIR}/validator/src/model_file.cc)

# Compares digests with OpenSSL's one-shot SHA256().
stguard_add_test(content_scan_test ${PROJECT_SOURCE_DIR}/validator/src/content_scan_test.cc
                 LIBS OpenSSL::Crypto LABELS unit)

target_compile_options(serde_number_test PRIVATE ${STGUARD_WARNINGS})
target_compile_definitions(serde_number_test PRIVATE
  STGUARD_SERDE_NUMBER_CASES="${PROJECT_SOURCE_DIR}/validator/src/serde_number_cases.tsv")
