// crmrules: the umbrella header. Includes every public header of crmrules::crmrules (not the
// SQLite store, which is crmrules/store/sqlite_storage.hpp in target crmrules::sqlite).
#pragma once

#include "crmrules/model/attributes.hpp"
#include "crmrules/model/id.hpp"
#include "crmrules/model/json.hpp"
#include "crmrules/model/money.hpp"
#include "crmrules/model/records.hpp"
#include "crmrules/model/schema.hpp"
#include "crmrules/model/time.hpp"
#include "crmrules/model/validate.hpp"
#include "crmrules/model/value.hpp"
#include "crmrules/rules/diagnostic.hpp"
#include "crmrules/rules/rule_set.hpp"
#include "crmrules/status.hpp"
#include "crmrules/store/clock.hpp"
#include "crmrules/store/memory_storage.hpp"
#include "crmrules/store/notifier.hpp"
#include "crmrules/store/record_store.hpp"
#include "crmrules/store/storage.hpp"
#include "crmrules/store/stores.hpp"
#include "crmrules/store/wrappers.hpp"
#include "crmrules/version.hpp"
