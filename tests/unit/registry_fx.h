/*
 * The township of the registry's unit tests (test_registry*.c): 东昌府区 / 古楼街道 (TOWN) /
 * 湖西社区 with two grids, G1 (id 1) and G2 (id 2), on an idfx database (idfx.h). Header-only,
 * as idfx.h.
 */
#ifndef WANGGE_TESTS_REGISTRY_FX_H
#define WANGGE_TESTS_REGISTRY_FX_H

#include "idfx.h"

#define TOWN "371502001000"
#define TOWN_PATH "371500000000/371502000000/371502001000/"
#define G1 "371502001001001"
#define G2 "371502001001002"

/* Adds the county, township, community and the two grids. 0 or -1. */
static inline int registry_fx_township(struct idfx *f)
{
	return idfx_exec(f,
	                 "INSERT INTO regions (code, name, level, parent_code, path, created_at, "
	                 "updated_at) VALUES "
	                 "('371502000000', '东昌府区', 3, '371500000000', "
	                 "'371500000000/371502000000/', 0, 0),"
	                 "('371502001000', '古楼街道', 4, '371502000000', '" TOWN_PATH "', 0, 0),"
	                 "('371502001001', '湖西社区', 5, '371502001000', '" TOWN_PATH
	                 "371502001001/', 0, 0);"
	                 "INSERT INTO grids (id, code, community_code, path, kind, name, boundary, "
	                 "valid_from, created_at, updated_at) VALUES "
	                 "(1, '" G1 "', '371502001001', '" TOWN_PATH
	                 "371502001001/', 1, '湖西一网格', '{}', 0, 0, 0),"
	                 "(2, '" G2 "', '371502001001', '" TOWN_PATH
	                 "371502001001/', 1, '湖西二网格', '{}', 0, 0, 0);");
}

#endif
