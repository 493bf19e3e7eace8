# Packaging test, run by ctest in script mode:
#   cmake -D MODE=find_package|add_subdirectory -D SOURCE_DIR=... -D WORK_DIR=... -D GENERATOR=...
#         -D CXX_COMPILER=... -D WITH_SQLITE=ON|OFF -P run_package_test.cmake
# find_package: build and install crmrules into WORK_DIR/prefix, then build and run a consumer
# with find_package(crmrules), and another with pkg-config's flags.
# add_subdirectory: build and run a consumer that adds the source tree as a subdirectory.
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

set(common -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release)

if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/crmrules-build" ${common}
      -DCRMRULES_WITH_SQLITE=${WITH_SQLITE} -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix
      -DCRMRULES_INSTALL=ON -DCRMRULES_BUILD_TESTS=OFF -DCRMRULES_BUILD_EXAMPLES=OFF -DCRMRULES_BUILD_BENCH=OFF)
  run(${CMAKE_COMMAND} --build "${WORK_DIR}/crmrules-build" -j 2)
  run(${CMAKE_COMMAND} --install "${WORK_DIR}/crmrules-build")
  foreach(f include/crmrules/crmrules.hpp lib/cmake/crmrules/crmrulesConfig.cmake
            lib/cmake/crmrules/crmrulesConfigVersion.cmake lib/pkgconfig/crmrules.pc)
    if(NOT EXISTS "${WORK_DIR}/prefix/${f}")
      message(FATAL_ERROR "not installed: ${f}")
    endif()
  endforeach()
  # The command line is installed with the library.
  run("${WORK_DIR}/prefix/bin/crmrules" --version)

  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/package/find_package" -B "${WORK_DIR}/consumer" ${common}
      -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")
  run("${WORK_DIR}/consumer/consumer")

  # The same consumer through pkg-config.
  find_program(PKG_CONFIG pkg-config REQUIRED)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${WORK_DIR}/prefix/lib/pkgconfig
            ${PKG_CONFIG} --cflags --libs crmrules
    RESULT_VARIABLE rc OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config cannot resolve crmrules.pc")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  set(defines)
  if(WITH_SQLITE)
    set(defines -DCONSUMER_WITH_SQLITE)
  endif()
  # crmrules needs C++20; the consumer chooses its own standard flag.
  run(${CXX_COMPILER} -std=c++20 ${defines} "${SOURCE_DIR}/tests/package/consumer.cpp" -o "${WORK_DIR}/pc-consumer" ${flags})
  run("${WORK_DIR}/pc-consumer")
elseif(MODE STREQUAL "add_subdirectory")
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/package/add_subdirectory" -B "${WORK_DIR}/consumer" ${common}
      -DCRMRULES_SOURCE_DIR=${SOURCE_DIR})
  run(${CMAKE_COMMAND} --build "${WORK_DIR}/consumer" -j 2)
  run("${WORK_DIR}/consumer/consumer")
else()
  message(FATAL_ERROR "MODE must be find_package or add_subdirectory")
endif()
message(STATUS "packaging test ${MODE}: ok")
