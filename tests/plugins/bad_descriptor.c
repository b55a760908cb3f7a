/*
 * bad_descriptor: the malformed plugins of tests/e2e/descriptor.t, one
 * source built once per variant (the Makefile's BAD_PLUGINS), each with
 * the variant's name in capitals defined: -DBAD_MAGIC makes bad_magic.
 * A variant breaks exactly one thing in an otherwise valid descriptor, so
 * the host's message must name exactly that field:
 *
 *   BAD_MAGIC     magic is FNH_PLUGIN_MAGIC byte-swapped
 *   BAD_SIZE      size is smaller than the ABI v1 descriptor
 *   BAD_ABI       abi_major is 2, which this host does not speak
 *   BAD_RESERVED  reserved[0] is not NULL
 *   BAD_NAME      name has characters outside [a-z0-9_-]
 *   NULL_NAME     name is NULL
 *   NULL_VERSION  version is NULL
 *   NULL_HANDLE   handle is NULL
 *   NULL_DESC     fnh_plugin_v1() returns NULL instead of a descriptor
 *   NO_SYMBOL     no fnh_plugin_v1 at all, only a look-alike fnh_plugin_v0
 */
#include <stddef.h>

#include <fnhost/plugin.h>

#if !defined(BAD_MAGIC) && !defined(BAD_SIZE) && !defined(BAD_ABI) &&          \
	!defined(BAD_RESERVED) && !defined(BAD_NAME) && !defined(NULL_NAME) && \
	!defined(NULL_VERSION) && !defined(NULL_HANDLE) &&                     \
	!defined(NULL_DESC) && !defined(NO_SYMBOL)
#error "define the variant to build, e.g. -DBAD_MAGIC"
#endif

static __attribute__((unused)) int
ok_handle(const struct fnh_host *host, struct fnh_call *call, const void *input,
	  size_t input_len)
{
	(void)call;
	(void)input;
	(void)input_len;
	host->log(FNH_LOG_ERROR, "a refused plugin was invoked");
	return -1;
}

#ifdef NO_SYMBOL
#define ENTRY fnh_plugin_v0
#else
#define ENTRY fnh_plugin_v1
#endif

__attribute__((visibility("default"))) const struct fnh_plugin *
ENTRY(void)
{
	static const struct fnh_plugin desc = {
#ifdef BAD_MAGIC
		.magic = 0x31484e46u, /* "FNH1" byte-swapped */
#else
		.magic = FNH_PLUGIN_MAGIC,
#endif
#ifdef BAD_SIZE
		.size = 16, /* up to abi_minor only */
#else
		.size = sizeof(struct fnh_plugin),
#endif
#ifdef BAD_ABI
		.abi_major = 2,
#else
		.abi_major = FNH_ABI_MAJOR,
#endif
		.abi_minor = FNH_ABI_MINOR,
#if defined(BAD_NAME)
		.name = "../Evil Name\n",
#elif defined(NULL_NAME)
		.name = NULL,
#else
		.name = "malformed",
#endif
#ifdef NULL_VERSION
		.version = NULL,
#else
		.version = "1.0",
#endif
#ifdef NULL_HANDLE
		.handle = NULL,
#else
		.handle = ok_handle,
#endif
#ifdef BAD_RESERVED
		.reserved = { (void *)ok_handle },
#endif
	};

#ifdef NULL_DESC
	(void)desc;
	return NULL;
#else
	return &desc;
#endif
}
