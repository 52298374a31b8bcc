"""Practice exams: question bank and validator, blueprints, sampling, scoring, and the engine its front ends share."""
