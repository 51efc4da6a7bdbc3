-- Where a house or a unit is (issue 12 part 1: "grid (from location or chosen)"): WGS84 degrees
-- given when it was registered (a phone's GPS, a click on the map), from which its grid was
-- found when none was chosen. NULL when registered by grid alone (and by the bulk imports).
ALTER TABLE houses ADD COLUMN lng REAL;
ALTER TABLE houses ADD COLUMN lat REAL;
ALTER TABLE units ADD COLUMN lng REAL;
ALTER TABLE units ADD COLUMN lat REAL;
