# Finds Google's libphonenumber (Debian: libphonenumber-dev), which ships neither a CMake package
# nor a pkg-config file. Defines the imported target phonenumber::phonenumber. Installed beside
# crmrulesConfig.cmake so that consumers of a static crmrules can resolve it too.
find_path(phonenumber_INCLUDE_DIR phonenumbers/phonenumberutil.h)
find_library(phonenumber_LIBRARY NAMES phonenumber)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(phonenumber
  REQUIRED_VARS phonenumber_LIBRARY phonenumber_INCLUDE_DIR)
if(phonenumber_FOUND AND NOT TARGET phonenumber::phonenumber)
  add_library(phonenumber::phonenumber UNKNOWN IMPORTED)
  set_target_properties(phonenumber::phonenumber PROPERTIES
    IMPORTED_LOCATION "${phonenumber_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${phonenumber_INCLUDE_DIR}")
endif()
mark_as_advanced(phonenumber_INCLUDE_DIR phonenumber_LIBRARY)
