/* Capstan plugin ABI: the whole contract. Include this, or only common.h and the kinds you
 * implement. Conventions are numbered at the top of common.h. */
#ifndef CAPSTAN_ABI_ABI_H_
#define CAPSTAN_ABI_ABI_H_

#include "capstan/abi/admission.h"
#include "capstan/abi/authn.h"
#include "capstan/abi/authz.h"
#include "capstan/abi/cni.h"
#include "capstan/abi/common.h"
#include "capstan/abi/controller.h"
#include "capstan/abi/csi.h"
#include "capstan/abi/runtime.h"
#include "capstan/abi/sched.h"

#endif /* CAPSTAN_ABI_ABI_H_ */
