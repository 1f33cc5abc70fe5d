# nginx addon: sourced by auto/make after objs/Makefile is written.
#
# The module links the core library, build/libstrm.a, that the
# Makefile next to this script builds.  When nginx is built on its own
# (./configure --add-dynamic-module=... && make modules), these rules
# have objs/Makefile rebuild the library whenever a core file changes,
# before the module is linked.

ngx_strm_lib=$ngx_addon_dir/build/libstrm.a
ngx_strm_core=`echo $ngx_addon_dir/ngx_strm_module/core/*.[ch]`

cat << END                                                >> $NGX_MAKEFILE

$NGX_OBJS${ngx_dirsep}ngx_http_strm_module$ngx_modext:	$ngx_strm_lib

$ngx_strm_lib:	$ngx_strm_core
	\$(MAKE) -C $ngx_addon_dir BUILD=build build/libstrm.a

END
