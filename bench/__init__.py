"""The benchmark harness of issue #11: seeder, ceiling views, runner. Not part of the apps."""
