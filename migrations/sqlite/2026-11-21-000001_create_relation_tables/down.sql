DROP TABLE employees;
DROP TABLE post_tags;
DROP TABLE tags;
DROP TABLE profiles;
DROP TABLE comments;
