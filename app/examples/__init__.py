"""Example data: a seeder that fills the warehouse's raw tables of a model with realistic rows."""
