-- Keyset pages of regions and grids (issue 7). A list page is read in code order, after the last
-- code of the page before, along an index that serves both the range and the order, so a page
-- costs the same in a city as in a test database. Codes nest like the region tree (a grid's code
-- starts with its community's, a community's with its township's), so a scope or a region filter
-- is also a range of codes; the scope's path condition then decides exactly.
--
-- grids(code) is already indexed (UNIQUE). Filtered lists get an index each: by status (the
-- default list: active grids), and by kind and status.
CREATE INDEX grids_status_code ON grids(status, code);
CREATE INDEX grids_kind_status_code ON grids(kind, status, code);

-- Children of a region, and the regions of a level, in code order.
DROP INDEX regions_parent;
CREATE INDEX regions_parent_code ON regions(parent_code, code);
DROP INDEX regions_level;
CREATE INDEX regions_level_code ON regions(level, code);
