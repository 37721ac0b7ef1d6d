"""`unetkit label-studio`: a trained model as Label Studio's ML backend (pre-annotations ordered by what review
would look at first, and fine-tuning on the project's corrections). One job per module:

- label_config.py   the project's labelling config: the BrushLabels tag, its image, its labels matched to the
                    model's classes by name
- connection.py     the Label Studio server: images and the project's export fetched with its API key
- task_predictions.py  one task's prediction: a brush per class, and the task score (review's ranking)
- fine_tune.py      the training job on the project's annotations, and the served model it replaces
- backend.py        the HTTP protocol (/health, /setup, /predict, /webhook) and `serve`
"""
