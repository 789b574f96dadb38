"""Abseil targets under their upstream labels, mapped to Debian's per-component shared libraries.

Debian's Abseil 20220623 ships one shared library per component; the link lines follow
`pkg-config --libs absl_<name>`. Format: "package:target" -> "linkopts|deps".
"""

ABSL_TARGETS = {
    "absl/base:core_headers": "|",
    "absl/base:base": "-labsl_base -labsl_raw_logging_internal -labsl_log_severity -labsl_spinlock_wait|",
    "absl/strings:strings": "-labsl_strings -labsl_strings_internal -labsl_int128 -labsl_throw_delegate|//absl/base",
    "absl/strings:str_format": "-labsl_str_format_internal|//absl/strings",
    "absl/status:status": "-labsl_status -labsl_cord -labsl_cord_internal -labsl_cordz_info -labsl_cordz_functions -labsl_cordz_handle -labsl_exponential_biased -labsl_strerror -labsl_stacktrace -labsl_symbolize -labsl_debugging_internal -labsl_demangle_internal -labsl_malloc_internal -labsl_synchronization -labsl_graphcycles_internal -labsl_time -labsl_time_zone -labsl_civil_time -labsl_hash -labsl_city -labsl_low_level_hash -labsl_raw_hash_set -labsl_hashtablez_sampler -labsl_bad_optional_access -labsl_bad_variant_access|//absl/strings //absl/strings:str_format",
    "absl/status:statusor": "-labsl_statusor|//absl/status",
    "absl/types:optional": "-labsl_bad_optional_access|",
    "absl/types:span": "|",
    "absl/types:variant": "-labsl_bad_variant_access|",
    "absl/container:flat_hash_map": "-labsl_raw_hash_set -labsl_hash -labsl_city -labsl_low_level_hash -labsl_hashtablez_sampler|",
    "absl/container:flat_hash_set": "-labsl_raw_hash_set -labsl_hash -labsl_city -labsl_low_level_hash -labsl_hashtablez_sampler|",
    "absl/container:inlined_vector": "|",
    "absl/random:random": "-labsl_random_distributions -labsl_random_seed_sequences -labsl_random_internal_pool_urbg -labsl_random_internal_randen -labsl_random_internal_randen_hwaes -labsl_random_internal_randen_hwaes_impl -labsl_random_internal_randen_slow -labsl_random_internal_platform -labsl_random_internal_seed_material -labsl_random_seed_gen_exception|//absl/base",
    "absl/random:bit_gen_ref": "|//absl/random",
    "absl/random:distributions": "-labsl_random_distributions|//absl/random",
    "absl/synchronization:synchronization": "-labsl_synchronization -labsl_graphcycles_internal -labsl_stacktrace -labsl_symbolize -labsl_debugging_internal -labsl_demangle_internal -labsl_malloc_internal -labsl_time -labsl_time_zone -labsl_civil_time|//absl/base",
    "absl/time:time": "-labsl_time -labsl_time_zone -labsl_civil_time|//absl/base",
    "absl/flags:flag": "-labsl_flags_internal -labsl_flags_marshalling -labsl_flags_reflection -labsl_flags_private_handle_accessor -labsl_flags_commandlineflag -labsl_flags_commandlineflag_internal -labsl_flags_config -labsl_flags_program_name|//absl/strings //absl/synchronization //absl/status",
    "absl/flags:parse": "-labsl_flags_parse -labsl_flags_usage -labsl_flags_usage_internal|//absl/flags:flag",
    "absl/flags:usage": "-labsl_flags_usage -labsl_flags_usage_internal|//absl/flags:flag",
    "absl/cleanup:cleanup": "|",
    "absl/hash:hash": "-labsl_hash -labsl_city -labsl_low_level_hash|",
}
