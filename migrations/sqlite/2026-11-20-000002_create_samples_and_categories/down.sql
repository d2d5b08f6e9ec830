DROP TABLE categories;
DROP TABLE samples;
