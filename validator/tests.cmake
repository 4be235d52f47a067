# Unit tests beside the sources (validator/src/*_test.cc).
set(STGUARD_UNIT_TESTS
  codes_test
  dtype_test
  checked_math_test
  str_cat_test
  finding_sink_test
  header_text_test
  tensor_table_test
  tensor_names_test
  layout_rules_test
  format_identify_test
  model_file_test
  pickle_walk_test
  policy_test
  scan_test
  validate_test
  file_source_test
  stream_validate_test
  serde_number_test
)
foreach(test ${STGUARD_UNIT_TESTS})
  stguard_add_test(${test} ${PROJECT_SOURCE_DIR}/validator/src/${test}.cc LABELS unit)
endforeach()

# Compares digests with OpenSSL's one-shot SHA256().
stguard_add_test(content_scan_test ${PROJECT_SOURCE_DIR}/validator/src/content_scan_test.cc
                 LIBS OpenSSL::Crypto LABELS unit)

target_compile_options(serde_number_test PRIVATE ${STGUARD_WARNINGS})
target_compile_definitions(serde_number_test PRIVATE
  STGUARD_SERDE_NUMBER_CASES="${PROJECT_SOURCE_DIR}/validator/src/serde_number_cases.tsv")

# Remote checks' parsers (validator/remote/: no libcurl needed).
stguard_add_test(remote_parse_test ${PROJECT_SOURCE_DIR}/validator/remote/remote_parse_test.cc
                 LIBS stguard_remote_parse LABELS unit remote)
